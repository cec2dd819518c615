import { readableMessage, type ApiError } from "@/components/ui/field-errors";

/** A failed save as field path -> message, plus `form`: the message shown under the form whatever field it is about. */
export function fieldErrorsFrom(error: ApiError): Record<string, string> {
  const fields = Object.fromEntries(Object.entries(error.data?.fieldErrors ?? {}).flatMap(([field, messages]) => (messages?.length ? [[field, messages[0]]] : [])));
  return { ...fields, form: readableMessage(error) };
}
