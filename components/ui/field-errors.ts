"use client";

import { useEffect, useMemo, type RefObject } from "react";
import { z } from "zod";

/** field -> messages, as the API's error formatter sends them in `error.data.fieldErrors`. */
export type FieldErrors = Record<string, string[] | undefined>;

/** The part of a tRPC client error the forms read. */
export type ApiError = { message: string; data?: { fieldErrors?: FieldErrors; code?: string } | null };

/** Runs the same zod schema the router uses; field errors come back in the API's shape. */
export function validate<S extends z.ZodType>(
  schema: S,
  values: unknown,
): { ok: true; data: z.output<S> } | { ok: false; fieldErrors: FieldErrors; formErrors: string[] } {
  const result = schema.safeParse(values);
  if (result.success) return { ok: true, data: result.data };
  const flat = z.flattenError(result.error);
  return { ok: false, fieldErrors: flat.fieldErrors as FieldErrors, formErrors: flat.formErrors };
}

export type FieldErrorsView = {
  /** The first message for a field this form shows, from the client check or the server. */
  errorFor: (field: string) => string | undefined;
  /** A message that belongs to no field on the form, for a `.form-error`. */
  formError: string | null;
};

/**
 * Splits an error into messages beside inputs and one for the whole form.
 * `fields` lists the inputs the form shows: an error about any other field
 * (an id, say) is shown as a form error rather than lost.
 */
export function useFieldErrors(error: ApiError | null | undefined, fields: readonly string[], clientErrors?: FieldErrors | null): FieldErrorsView {
  return useMemo(() => fieldErrorsView(error, fields, clientErrors), [error, fields, clientErrors]);
}

export function fieldErrorsView(error: ApiError | null | undefined, fields: readonly string[], clientErrors?: FieldErrors | null): FieldErrorsView {
  const server = error?.data?.fieldErrors ?? {};
  const errorFor = (field: string) => clientErrors?.[field]?.[0] ?? server[field]?.[0];
  if (!error) return { errorFor, formError: null };
  const shown = Object.entries(server).filter(([field, messages]) => fields.includes(field) && messages?.length);
  const elsewhere = Object.entries(server).filter(([field, messages]) => !fields.includes(field) && messages?.length);
  let formError: string | null = null;
  if (elsewhere.length) formError = elsewhere.map(([, messages]) => messages!.join(" ")).join(" ");
  else if (!shown.length) formError = readableMessage(error);
  return { errorFor, formError };
}

/** zod failures arrive with a JSON dump as their message; never show that to a person. */
export function readableMessage(error: ApiError): string {
  const fieldMessages = Object.values(error.data?.fieldErrors ?? {}).flatMap((m) => m ?? []);
  if (fieldMessages.length) return fieldMessages.join(" ");
  if (error.message.trim().startsWith("[")) return "The request was not valid. Check the form and try again.";
  if (error.message === "Failed to fetch") return "Slipway could not be reached. Check your connection and try again.";
  return error.message;
}

/**
 * After a failed submit, moves focus to the first input marked invalid, so
 * keyboard and screen-reader users land on the problem. Pass the values that
 * change when new errors arrive.
 */
export function useFocusFirstInvalid(form: RefObject<HTMLElement | null>, errors: readonly unknown[]) {
  useEffect(() => {
    if (!errors.some(Boolean)) return;
    form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, errors);
}
