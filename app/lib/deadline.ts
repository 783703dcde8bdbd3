/**
 * One deadline for a piece of outbound work (a call to GitHub or Google): resolves with the work's result,
 * or rejects with `timeoutError()` after `ms`, aborting the signal handed to the work so fetches that
 * accept it stop. A plain timer rather than AbortSignal.timeout, so tests can drive it with fake timers.
 */
export async function withinDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>, timeoutError: () => Error): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = timeoutError();
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
