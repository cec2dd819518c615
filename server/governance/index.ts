export * from "./rules";
export * from "./approvals";
export * from "./checks";
export * from "./freeze";
export * from "./refs";
export * from "./judge";
