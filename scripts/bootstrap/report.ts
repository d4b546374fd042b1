// What the bootstrap tells the user: one line when a tool's installation starts and one when it ends,
// with the time it took, printed even with --quiet (installs can take minutes, and silence then looks
// like a hang). A tool that is already in place prints nothing with --quiet.

/** A failure the user can act on: `message` says what failed and what to install instead. */
export class ProvisionError extends Error {}

export interface Reporter {
  /** Printed only without --quiet. */
  info(message: string): void;
  /** Always printed: starts and ends of installs, failures. */
  progress(message: string): void;
}

export function reporter(quiet: boolean, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)) {
  return {
    info: (message: string) => {
      if (!quiet) write(`bootstrap: ${message}`);
    },
    progress: (message: string) => write(`bootstrap: ${message}`),
  } satisfies Reporter;
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/**
 * Runs one tool's installation between its start and end lines. Resolves with the error message
 * when it failed (the caller records it), or null.
 */
export async function timed(
  report: Reporter,
  tool: string,
  what: string,
  install: () => Promise<string>,
  now: () => number = Date.now,
): Promise<string | null> {
  const started = now();
  report.progress(`${tool}: ${what} ...`);
  try {
    const result = await install();
    report.progress(`${tool}: ready in ${seconds(now() - started)} (${result})`);
    return null;
  } catch (err) {
    const message = err instanceof ProvisionError ? err.message : String((err as Error)?.stack ?? err);
    report.progress(`${tool}: FAILED after ${seconds(now() - started)}: ${message}`);
    return message;
  }
}
