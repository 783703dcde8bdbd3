import type { MetaFunction } from "@remix-run/cloudflare";
import { Link } from "@remix-run/react";
import { CardPage } from "~/components/card-page";
import { pageTitle } from "~/lib/page-title";

export const meta: MetaFunction = ({ matches }) => [{ title: pageTitle(matches, "Account deleted") }];

export default function Goodbye() {
  return (
    <CardPage title="Your account was deleted">
      <p role="status">
        Everything attached to it is gone and you've been signed out everywhere. We've sent a final email to confirm it.
      </p>
      <p>
        <Link className="button secondary" to="/">
          Back to the home page
        </Link>
      </p>
    </CardPage>
  );
}
