// Numeric command-line options of the in-process benchmarks (`--rounds 7`), read without a schema
// because each script has two or three of them and no other flags.

/** The number after `--<name>` on the command line, or `fallback` when the option is absent. */
export function numberOption(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}
