/** Who is making a change, and how it reached us; recorded on every audit event. */
export type Actor = {
  userId: string | null;
  label: string;
  ip: string | null;
  /** "session", "token:<id>", "system" */
  via: string;
};

export const systemActor: Actor = { userId: null, label: "slipway", ip: null, via: "system" };
