"use client";

import { useRef, useState, type FormEvent } from "react";
import { trpc } from "@/components/providers/trpc";
import { useFieldErrors, useFocusFirstInvalid, validate, type FieldErrors } from "@/components/ui/field-errors";
import { FieldError, FormError, SelectField, TextField } from "@/components/ui/form-controls";
import { HOOK_EVENT_DESCRIPTIONS, HOOK_EVENTS } from "@/server/governance/hook-events";
import { createHookInput } from "@/server/schemas/governance";

const FIELDS = ["name", "url", "format", "events"] as const;
const FORMATS = [
  { value: "generic", label: "Generic JSON (signed)" },
  { value: "slack", label: "Slack incoming webhook" },
  { value: "teams", label: "Microsoft Teams workflow" },
] as const;
const GROUPS = ["run", "deployment", "approval"] as const;

/** Makes an outgoing webhook; `onCreated` gets the signing secret, which is shown this once. */
export function HookForm({ projectId, onCreated }: { projectId: string; onCreated: (created: { name: string; secret: string }) => void }) {
  const utils = trpc.useUtils();
  const form = useRef<HTMLFormElement>(null);
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [format, setFormat] = useState<(typeof FORMATS)[number]["value"]>("generic");
  const [events, setEvents] = useState<string[]>(["run.failed", "deployment.failed", "deployment.rolled_back", "approval.requested"]);
  const [allowPrivate, setAllowPrivate] = useState(false);
  const [clientErrors, setClientErrors] = useState<FieldErrors | null>(null);
  const create = trpc.notifications.createHook.useMutation({
    onSuccess: async ({ hook, secret }) => {
      onCreated({ name: hook.name, secret });
      setName("");
      setUrl("");
      setAllowPrivate(false);
      await utils.notifications.hooks.invalidate({ projectId });
    },
  });
  const errors = useFieldErrors(create.error, FIELDS, clientErrors);
  useFocusFirstInvalid(form, [clientErrors, create.error]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const checked = validate(createHookInput, { projectId, name, url, format, events, allowPrivate });
    if (!checked.ok) return setClientErrors(checked.fieldErrors);
    setClientErrors(null);
    create.mutate(checked.data);
  }

  const toggle = (event: string, on: boolean) => setEvents((now) => (on ? [...now, event] : now.filter((e) => e !== event)));

  return (
    <form ref={form} className="stack" onSubmit={submit} aria-label="Add a notification webhook" noValidate>
      <h3 style={{ margin: 0 }}>Add a webhook</h3>
      <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} error={errors.errorFor("name")} placeholder="Release channel" />
      <TextField
        label="URL"
        type="url"
        value={url}
        onChange={(e) => setUrl(e.target.value)}
        error={errors.errorFor("url")}
        placeholder="https://hooks.slack.com/services/…"
        hint="Where Slipway POSTs each event. Private and loopback addresses are refused unless a site administrator allows them."
      />
      <SelectField label="Format" value={format} onChange={(e) => setFormat(e.target.value as typeof format)} options={FORMATS} error={errors.errorFor("format")} />
      <fieldset className="stack" aria-describedby="hook-events-error" style={{ gap: "0.25rem" }}>
        <legend>Events</legend>
        {GROUPS.map((group) => (
          <div key={group} className="stack" style={{ gap: "0.15rem" }}>
            {HOOK_EVENTS.filter((e) => e.startsWith(`${group}.`)).map((event) => (
              <label key={event} className="row small" style={{ gap: "0.4rem" }}>
                <input type="checkbox" checked={events.includes(event)} onChange={(e) => toggle(event, e.target.checked)} />
                <code>{event}</code> <span className="muted">{HOOK_EVENT_DESCRIPTIONS[event]}</span>
              </label>
            ))}
          </div>
        ))}
        <FieldError id="hook-events-error" message={errors.errorFor("events")} />
      </fieldset>
      <label className="row small" style={{ gap: "0.4rem" }}>
        <input type="checkbox" checked={allowPrivate} onChange={(e) => setAllowPrivate(e.target.checked)} />
        Allow a private or loopback address (site administrators only)
      </label>
      <div>
        <button type="submit" className="primary" disabled={create.isPending}>
          {create.isPending ? "Adding…" : "Add webhook"}
        </button>
      </div>
      <FormError message={errors.formError} />
    </form>
  );
}
