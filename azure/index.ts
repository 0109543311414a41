export * from "./facts";
export * from "./naming";
