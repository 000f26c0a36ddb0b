import type { InputHTMLAttributes } from 'preact';

/** A one-line form: a text input and a small submit button (search people, name a room, rename it). */
export function LineForm({
  label,
  button,
  value,
  onInput,
  onSubmit,
  placeholder,
  search,
}: {
  label: string;
  button: string;
  value: string;
  onInput: (value: string) => void;
  onSubmit: () => void;
  /** Shows the label in the empty input too. */
  placeholder?: boolean;
  /** A search form, with a search input. */
  search?: boolean;
}) {
  const kind: InputHTMLAttributes<HTMLInputElement> = search ? { type: 'search' } : {};
  return (
    <form
      class="search"
      role={search ? 'search' : undefined}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      <input
        {...kind}
        aria-label={label}
        placeholder={placeholder ? label : undefined}
        value={value}
        maxLength={64}
        onInput={(e) => onInput(e.currentTarget.value)}
      />
      <button type="submit" class="small">
        {button}
      </button>
    </form>
  );
}
