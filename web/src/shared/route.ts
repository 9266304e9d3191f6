import { useEffect, useState } from 'react';

/** The page from the location's hash (`#/history` -> "history"), so every page has an address. */
export function useHashRoute(fallback: string): [string, (route: string) => void] {
  const read = () => location.hash.replace(/^#\/?/, '').split('?')[0] || fallback;
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const changed = () => {
      setRoute(read());
      document.getElementById('main')?.focus();
    };
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  });
  const go = (next: string) => {
    location.hash = `#/${next}`;
  };
  return [route, go];
}
