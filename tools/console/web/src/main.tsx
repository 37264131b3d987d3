import { TransportProvider } from "@connectrpc/connect-query";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { consoleTransport } from "./api.js";
import { DeadLettersPage } from "./dead-letters.js";
import { EventsPage } from "./events.js";
import { ExplorerPage } from "./explorer.js";
import { MailPage } from "./mail.js";
import { OverviewPage } from "./overview.js";
import { TracesPage } from "./traces.js";
import "./styles.css";

const queryClient = new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } } });
const PAGES = [
  ["overview", "Overview"],
  ["events", "Events"],
  ["traces", "Traces"],
  ["dead-letters", "Dead letters"],
  ["mail", "Mail"],
  ["explorer", "API explorer"],
] as const;

/** #/page/argument: a hash route keeps every view linkable with no server routes. */
function readRoute(): [string, string] {
  const [, page = "overview", ...rest] = window.location.hash.split("/");
  return [page || "overview", decodeURIComponent(rest.join("/"))];
}

function useRoute(): [string, string] {
  const [route, setRoute] = useState(readRoute);
  useEffect(() => {
    const onChange = () => setRoute(readRoute());
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

function App() {
  const [page, argument] = useRoute();
  useEffect(() => {
    document.title = `${PAGES.find(([id]) => id === page)?.[1] ?? "Console"} · acme console`;
  }, [page]);
  return (
    <>
      <header className="top">
        <strong className="brand">acme console</strong>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map(([id, label]) => (
              <li key={id}>
                <a href={`#/${id}`} aria-current={page === id ? "page" : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main>
        {page === "overview" && <OverviewPage />}
        {page === "events" && <EventsPage selected={argument} />}
        {page === "traces" && <TracesPage selected={argument} />}
        {page === "dead-letters" && <DeadLettersPage />}
        {page === "mail" && <MailPage selected={argument} />}
        {page === "explorer" && <ExplorerPage />}
      </main>
    </>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <TransportProvider transport={consoleTransport}>
      <QueryClientProvider client={queryClient}>
        <App />
      </QueryClientProvider>
    </TransportProvider>
  </StrictMode>,
);
