/** Text and attribute escaping for HTML, SVG and XML; characters XML 1.0 cannot carry are dropped. */
export function esc(s: string | number): string {
  return (
    String(s)
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\v\f\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&#39;')
  );
}
