/**
 * `debug` inside the Worker bundle (wrangler.toml [alias]). remix-auth-github traces its steps through
 * the `debug` package, which only prints when a DEBUG environment variable names the namespace, which a
 * deployed Worker doesn't have. In the bundle, `debug` picked its Node build and with it Node's `tty` and
 * `util` polyfills (12 KiB minified with `ms`). This keeps the calls and drops the printing.
 */
interface Debugger {
  (...args: unknown[]): void;
  enabled: boolean;
  namespace: string;
  extend(namespace: string): Debugger;
}

export default function createDebug(namespace: string): Debugger {
  const debug = Object.assign((..._args: unknown[]) => {}, {
    enabled: false,
    namespace,
    extend: (sub: string) => createDebug(`${namespace}:${sub}`),
  });
  return debug;
}
