/**
 * The one HTTP exchange the API-based adapters (Resend, Postmark) share: POST a JSON message, and read
 * any answer but a 2xx as a refusal whose status and first 300 characters go to the log.
 */
import type { SendResult } from "./mailer.server";

export async function postMessage(
  provider: string,
  { url, headers, body, signal }: { url: string; headers: Record<string, string>; body: unknown; signal: AbortSignal },
): Promise<SendResult> {
  const response = await fetch(url, {
    method: "POST",
    headers: { ...headers, "Content-Type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok) {
    // The body may describe the failure; it never reaches the person signing in.
    const detail = (await response.text().catch(() => "")).slice(0, 300);
    return { ok: false, error: `${provider} answered ${response.status}: ${detail}` };
  }
  await response.body?.cancel();
  return { ok: true };
}
