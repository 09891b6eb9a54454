import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, boot, type Boot } from './app/App';

// Sign-in, and the first page's Graph calls, start now: beside React's first render, not after it.
const booting = boot();

function render(booted: Boot | undefined): void {
  createRoot(document.getElementById('root') as HTMLElement).render(
    <StrictMode>
      <App booting={booting} booted={booted} />
    </StrictMode>,
  );
}

// The first render holds the main thread for a while, and the requests would wait behind it. The
// settings are preloaded (index.html), so signing in takes a few milliseconds: let the requests go
// out first, but never hold the page back for long (inside Teams the host answers more slowly).
// Signed in by then, the first render is the page itself rather than a spinner.
void Promise.race([booting.catch(() => undefined), new Promise<undefined>((resolve) => setTimeout(resolve, 100))]).then(render);
