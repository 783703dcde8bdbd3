import type { MetaFunction } from "@remix-run/cloudflare";
import { Link } from "@remix-run/react";

export const meta: MetaFunction = () => [{ title: "Account deleted · Latchkey" }];

export default function Goodbye() {
  return (
    <main id="main" className="page">
      <section className="card" aria-labelledby="title">
        <h1 id="title">Your account was deleted</h1>
        <p role="status">
          Everything attached to it is gone and you've been signed out everywhere. We've sent a final email to confirm it.
        </p>
        <p>
          <Link className="button secondary" to="/">
            Back to the home page
          </Link>
        </p>
      </section>
    </main>
  );
}
