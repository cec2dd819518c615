import { FieldError } from "@/components/ui/form-controls";
import type { RowErrors, VariableRow } from "./variables";

type Props = {
  row: VariableRow;
  index: number;
  errors?: RowErrors;
  readOnly: boolean;
  onChange: (row: VariableRow) => void;
  onRemove: () => void;
};

export function VariableRowEditor({ row, index, errors, readOnly, onChange, onRemove }: Props) {
  const id = `var-${row.key}`;
  const label = row.name.trim() || `variable ${index + 1}`;
  return (
    <tr>
      <td>
        <input
          aria-label={`Name of variable ${index + 1}`}
          value={row.name}
          onChange={(e) => onChange({ ...row, name: e.target.value })}
          readOnly={readOnly}
          spellCheck={false}
          autoComplete="off"
          placeholder="NAME"
          aria-invalid={errors?.name ? true : undefined}
          aria-describedby={errors?.name ? `${id}-name-error` : undefined}
        />
        <FieldError id={`${id}-name-error`} message={errors?.name} />
      </td>
      <td>
        <input
          aria-label={`Value of ${label}`}
          value={row.value}
          onChange={(e) => onChange({ ...row, value: e.target.value })}
          readOnly={readOnly}
          spellCheck={false}
          autoComplete="off"
          aria-invalid={errors?.value ? true : undefined}
          aria-describedby={errors?.value ? `${id}-value-error` : undefined}
        />
        <FieldError id={`${id}-value-error`} message={errors?.value} />
      </td>
      {!readOnly && (
        <td style={{ width: "1%" }}>
          <button type="button" onClick={onRemove} aria-label={`Remove ${label}`}>
            Remove
          </button>
        </td>
      )}
    </tr>
  );
}
