import { z } from "zod";

export const tokenScopeSchema = z.enum(["read", "write"], { error: "Scope must be read or write." });

export const createTokenInput = z.object({
  name: z.string().trim().min(1, "Name the token after what will use it.").max(80, "Token name must be at most 80 characters."),
  scope: tokenScopeSchema,
  expiresInDays: z.coerce
    .number()
    .int("Expiry is a whole number of days.")
    .min(1, "A token lasts at least 1 day.")
    .max(366, "A token lasts at most 366 days."),
});

export const tokenIdInput = z.object({ tokenId: z.uuid("Unknown token.") });
