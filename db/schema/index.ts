export * from "./users";
export * from "./projects";
export * from "./tokens";
export * from "./audit";
export * from "./system";
