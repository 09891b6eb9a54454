import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import type { Boot } from './boot';

export { firstPageCode } from '../myaccess';

/**
 * The React side of the tab (React, Fluent, the pages), loaded by `main.tsx` beside sign-in.
 * `booting` is the sign-in under way, `booted` its result when it came before the first render.
 */
export function start(booting: Promise<Boot>, booted: Boot | undefined): void {
  createRoot(document.getElementById('root') as HTMLElement).render(
    <StrictMode>
      <App booting={booting} booted={booted} />
    </StrictMode>,
  );
}
