import { Link } from "@remix-run/react";
import { useEffect, useState } from "react";

/**
 * Recovery codes, shown once: a list to write down, a .txt download (works without JavaScript), and a
 * copy button once scripts have loaded.
 */
export function RecoveryCodes({ codes, appHost }: { codes: string[]; appHost: string }) {
  const [canCopy, setCanCopy] = useState(false);
  const [copied, setCopied] = useState(false);
  useEffect(() => setCanCopy(typeof navigator !== "undefined" && Boolean(navigator.clipboard)), []);
  const text = [
    `Latchkey recovery codes for ${appHost}`,
    "Each code works once, in place of an authenticator code. Keep them somewhere safe.",
    "",
    ...codes,
    "",
  ].join("\n");
  return (
    <div className="stack">
      <div className="alert warning" role="status">
        Save these codes now. They're shown only once, and each one signs you in once if you lose your authenticator.
      </div>
      <ol className="recovery-codes" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div className="actions">
        <a className="button secondary" href={`data:text/plain;charset=utf-8,${encodeURIComponent(text)}`} download="latchkey-recovery-codes.txt">
          Download .txt
        </a>
        {canCopy ? (
          <button
            type="button"
            className="secondary"
            onClick={() => navigator.clipboard.writeText(text).then(() => setCopied(true), () => setCopied(false))}
          >
            {copied ? "Copied" : "Copy"}
          </button>
        ) : null}
        <Link className="button" to="/account">
          I've saved them
        </Link>
      </div>
    </div>
  );
}
