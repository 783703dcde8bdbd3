import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import {
  Link,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  isRouteErrorResponse,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import type { ReactNode } from "react";
import { ERROR_PAGES, UNEXPECTED_ERROR } from "~/auth/messages";
import { getSignedIn } from "~/auth/session/signed-in.server";
import { useNonce } from "~/components/nonce";
import { PasskeyOffer } from "~/components/passkeys";
import { passkeyOfferSeen } from "~/auth/passkeys/cookies.server";
import { shouldOfferPasskey } from "~/auth/passkeys/offer";
import "~/styles/app.css";

export const meta: MetaFunction = () => [
  { title: "Latchkey" },
  { name: "description", content: "Passwordless sign-in you own, at the edge." },
];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const signedIn = await getSignedIn(request, context);
  return {
    email: signedIn?.user.email ?? null,
    offerPasskey: signedIn ? shouldOfferPasskey(signedIn.session, context.now()) && !(await passkeyOfferSeen(request, context.config)) : false,
  };
}

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  const data = useRouteLoaderData<typeof loader>("root");
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <Meta />
        <Links />
      </head>
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="site-header">
          <Link className="brand" to="/">
            Latchkey
          </Link>
          <nav className="site-nav" aria-label="Account">
            {data?.email ? (
              <>
                <Link to="/dashboard">Dashboard</Link>
                <Link to="/account">Account</Link>
              </>
            ) : (
              <Link to="/login">Sign in</Link>
            )}
          </nav>
        </header>
        {data?.offerPasskey ? <PasskeyOffer /> : null}
        {children}
        <footer className="site-footer">Latchkey · passwordless sign-in on Cloudflare Workers</footer>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary() {
  const error = useRouteError();
  let status = 500;
  let { title, message } = UNEXPECTED_ERROR;
  if (isRouteErrorResponse(error)) {
    status = error.status;
    const copy = ERROR_PAGES[status];
    if (copy) ({ title, message } = copy);
  } else {
    // Remix already logged it server-side; never show a stack trace to the person.
  }
  return (
    <main id="main" className="page">
      <section className="card" aria-labelledby="error-title">
        <p className="status-code">{status}</p>
        <h1 id="error-title">{title}</h1>
        <p>{message}</p>
        <p>
          <Link className="button" to="/">
            Go to the home page
          </Link>
        </p>
      </section>
    </main>
  );
}
