/**
 * The contract every mail adapter keeps (docs/decisions/010): `Mailer.send(message)` makes one attempt
 * within MAIL_TIMEOUT_MS and never throws for provider trouble — a timeout, a network error or a refusal
 * is `{ ok: false, error }`, and the caller decides what the person sees (EM-3). Adapters never retry on
 * their own: the flow deletes the token it just issued, so the person's next try is the retry.
 * This module knows no adapter; create-mailer.server.ts picks one by EMAIL_PROVIDER.
 */

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** `error` is for the log only: it may quote the provider and never reaches the person signing in. */
export type SendResult = { ok: true } | { ok: false; error: string };

export interface Mailer {
  send(message: MailMessage): Promise<SendResult>;
}

/** Someone is waiting on the page for this send; past 5 s they are better off with "try again". */
export const MAIL_TIMEOUT_MS = 5000;

/**
 * Runs one provider call under the deadline. The signal aborts when the deadline passes, so a fetch
 * that takes it stops too; a call that can't be aborted (a binding) is simply no longer waited for.
 * Anything the call throws becomes a failure value. (A plain timer rather than AbortSignal.timeout, so
 * tests can move it with fake timers.)
 */
export async function attemptDelivery(
  provider: string,
  timeoutMs: number,
  attempt: (signal: AbortSignal) => Promise<SendResult>,
): Promise<SendResult> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<SendResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new DOMException(`${provider} timed out`, "TimeoutError"));
      resolve({ ok: false, error: `${provider} timed out` });
    }, timeoutMs);
  });
  try {
    return await Promise.race([attempt(controller.signal), deadline]);
  } catch (error) {
    const timedOut = error instanceof Error && error.name === "TimeoutError";
    return { ok: false, error: `${provider} ${timedOut ? "timed out" : "network error"}` };
  } finally {
    clearTimeout(timer);
  }
}
