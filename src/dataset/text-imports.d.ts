// `import text from "…/data/x.jsonl" with { type: "text" }` (embedded.ts): Bun gives the file's text.
declare module "*.jsonl" {
  const text: string;
  export default text;
}
