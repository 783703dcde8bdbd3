import type { ReactNode } from "react";

/** The page shell most screens share: one centred card whose heading names the page for screen readers. */
export function CardPage({ title, children }: { title: ReactNode; children: ReactNode }) {
  return (
    <main id="main" className="page">
      <section className="card" aria-labelledby="title">
        <h1 id="title">{title}</h1>
        {children}
      </section>
    </main>
  );
}
