import { useRef, useState } from "preact/hooks";

/**
 * A line to copy (a README snippet): shown whole in a read-only field, with a button that copies
 * it. Where the Clipboard API is refused (a plain-HTTP LAN address is not a secure context) the
 * field's text is selected instead, for Ctrl-C.
 */
export function CopyLine({ label, value }: { label: string; value: string }) {
  const field = useRef<HTMLInputElement>(null);
  const [status, setStatus] = useState("");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setStatus("Copied.");
    } catch {
      field.current?.select();
      setStatus("Selected: press Ctrl-C (⌘-C) to copy.");
    }
  };
  return (
    <div class="copy-line">
      <label>
        {label}
        <input ref={field} readOnly value={value} onFocus={(e) => e.currentTarget.select()} />
      </label>
      <button type="button" onClick={copy}>
        Copy
      </button>
      <span class="muted small" role="status" aria-live="polite">
        {status}
      </span>
    </div>
  );
}
