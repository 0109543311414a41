export * from "./schema";
export * from "./placement";
export * from "./ownership";
export * from "./resolve";
