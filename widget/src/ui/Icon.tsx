/**
 * The panel's button icons: 18 px on a 24-unit grid, `d` drawn as a 2-unit stroke (or filled),
 * hidden from screen readers (the button around it has the name). `class`: e.g. `flip-rtl`.
 */
export function Icon({ d, filled = false, class: className }: { d: string; filled?: boolean; class?: string }) {
  return (
    <svg class={className} viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
      {filled ? <path fill="currentColor" d={d} /> : <path fill="none" stroke="currentColor" stroke-width="2" d={d} />}
    </svg>
  );
}
