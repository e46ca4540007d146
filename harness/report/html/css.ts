/** The stylesheet of report.html: inline (the page fetches nothing), legible on screen and in print. */
export const CSS = `
:root{--ink:#1c2430;--muted:#5f6b7a;--line:#d5dbe3;--soft:#f4f6f9;--navy:#14213d;--pass:#1e7b34;--fail:#b3261e;--err:#8a4b00;--warn:#a15c00}
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0;background:#e9edf2;color:var(--ink);font:14px/1.45 "Liberation Sans","Helvetica Neue",Arial,"DejaVu Sans",sans-serif}
main{max-width:1120px;margin:24px auto;background:#fff;padding:0 40px 28px;box-shadow:0 1px 4px rgba(0,0,0,.12);position:relative}
h1{font-size:26px;margin:4px 0 2px;letter-spacing:.2px}
h2{font-size:19px;margin:30px 0 10px;padding-bottom:6px;border-bottom:2px solid var(--navy);color:var(--navy);display:flex;align-items:center;gap:10px}
h3{font-size:15px;margin:22px 0 8px;color:var(--navy)}
p{margin:6px 0}
code,pre{font-family:"Liberation Mono","DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
code{background:var(--soft);padding:1px 4px;border-radius:3px}
pre{background:var(--soft);padding:8px 12px;border-radius:4px;border:1px solid var(--line);white-space:pre-wrap}
.masthead{margin:0 -40px;padding:18px 40px 14px;background:var(--navy);color:#fff}
.mast-top{display:flex;justify-content:space-between;font-size:12px;letter-spacing:1.5px;text-transform:uppercase;opacity:.85}
.brand{font-weight:700}
.mast-main{display:flex;justify-content:space-between;align-items:flex-end;gap:16px;margin-top:8px}
.mast-meta{font-size:13px;opacity:.9}
.mast-verdict{display:flex;gap:8px;flex-shrink:0}
.scope-note{margin:12px 0 0;padding:8px 12px;background:rgba(255,255,255,.1);border-left:4px solid #f2c94c;font-size:13px}
.badge{display:inline-block;padding:1px 8px;border-radius:3px;font-size:11.5px;font-weight:700;letter-spacing:.5px;color:#fff;vertical-align:middle;white-space:nowrap}
.badge-big{font-size:16px;padding:5px 14px;border:2px solid rgba(255,255,255,.8)}
.badge-passed{background:var(--pass)}.badge-failed{background:var(--fail)}.badge-error{background:var(--err)}
.badge-draft{background:#fff;color:var(--fail);border-color:var(--fail)}
.draft-banner{margin:16px 0 0;padding:10px 14px;border:2px solid var(--fail);background:#fdecea;border-radius:4px}
.watermark{position:fixed;top:42%;left:0;right:0;text-align:center;font-size:150px;font-weight:800;color:rgba(179,38,30,.07);transform:rotate(-28deg);pointer-events:none;z-index:0;letter-spacing:12px}
.cards{display:grid;grid-template-columns:repeat(5,1fr);gap:10px;margin:18px 0 12px}
.card{border:1px solid var(--line);border-top:4px solid #8795a8;border-radius:4px;padding:8px 10px;background:#fff}
.card-passed{border-top-color:var(--pass)}.card-failed{border-top-color:var(--fail)}.card-error{border-top-color:var(--err)}.card-warn{border-top-color:var(--warn)}
.card-k{font-size:11px;text-transform:uppercase;letter-spacing:.6px;color:var(--muted)}
.card-v{font-size:21px;font-weight:700;margin:2px 0}
.card-s{font-size:12px;color:var(--muted);overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:13px}
.grid th,.grid td{border:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
.grid thead th{background:var(--soft);font-size:12px;text-transform:uppercase;letter-spacing:.4px;color:#3a4656}
.grid tbody tr:nth-child(even) td{background:#fafbfc}
.kv th{width:210px;text-align:left;vertical-align:top;padding:5px 12px 5px 0;color:#3a4656;font-weight:600;border-bottom:1px solid #edf0f4}
.kv td{padding:5px 0;border-bottom:1px solid #edf0f4;overflow-wrap:anywhere}
.kv .grid{margin:0}
.compact td,.compact th{padding:4px 7px}
.small{font-size:11.5px}
.nw{white-space:nowrap}
.muted{color:var(--muted)}
.fail-text{color:var(--fail)}
.alert{padding:8px 12px;background:#fdecea;border-left:4px solid var(--fail)}
.missing{display:inline-block;padding:0 6px;border:1.5px dashed var(--fail);color:var(--fail);font-weight:700;font-size:11.5px;letter-spacing:.5px;border-radius:3px}
.missing-why{color:var(--fail);font-size:12.5px}
.drill-title{font-size:15px;font-weight:600;margin-top:-4px}
.sev{font-weight:700;text-transform:uppercase;font-size:11.5px}.sev-critical,.sev-high{color:var(--fail)}.sev-medium{color:var(--warn)}.sev-low{color:var(--muted)}
.hash{font-size:11px;background:none;padding:0;overflow-wrap:anywhere}
.deviations li{margin:3px 0}
pre.output{margin:4px 0 0;padding:4px 6px;font-size:11px;max-height:none;background:#f7f8fa}
figure.chart{margin:8px 0 14px;padding:10px 12px 8px;border:1px solid var(--line);border-radius:4px;background:#fff}
figure.chart svg{display:block;margin-bottom:10px}
figcaption{font-size:12px;color:var(--muted);display:flex;flex-wrap:wrap;gap:4px 14px}
.lg{display:inline-flex;align-items:center;gap:3px}
.timeline{font-family:inherit}
.tl-title{font-size:14px;font-weight:700;fill:#1c2430}
.tl-sub{font-size:12px;fill:#5f6b7a}
.tl-lane{fill:#f7f8fa;stroke:#e3e7ec}
.tl-lane-name{font-size:13px;fill:#3a4656;font-weight:600}
.tl-grid{stroke:#e1e5ea;stroke-width:1}
.tl-axis{font-size:12px;fill:#5f6b7a}
.tl-axis-line{stroke:#9aa5b1}
.tl-phase{stroke:#fff;stroke-width:1}
.tl-in{font-size:12px;fill:#3a4656}
.tl-fault{fill:#fbe3e1}
.tl-fault-text{fill:#8e1c16;font-weight:600}
.tl-step{stroke:#fff;stroke-width:1}
.tl-step-num{font-size:12px;fill:#fff;font-weight:700}
.tl-marker{stroke-width:1.6}
.tl-marker-label,.tl-rto text{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.tl-dashed{stroke-dasharray:4 3}
.tl-marker-label{font-size:12.5px;font-weight:700}
.tl-rto line{stroke:#1c2430;stroke-width:1.4}
.tl-rto text{font-size:13px;font-weight:700;fill:#1c2430}
footer{margin-top:26px;padding-top:10px;border-top:1px solid var(--line);font-size:11.5px;color:var(--muted)}
@media (max-width:800px){main{padding:0 14px}.masthead{margin:0 -14px;padding:14px}.cards{grid-template-columns:repeat(2,1fr)}}
@media print{
  @page{size:A4;margin:14mm 12mm 16mm}
  body{background:#fff;font-size:11.5px}
  main{max-width:none;margin:0;padding:0;box-shadow:none}
  .masthead{margin:0 0 4px;padding:12px 16px}
  .cards{grid-template-columns:repeat(5,1fr)}
  .card-v{font-size:17px}
  h2{break-after:avoid;page-break-after:avoid}
  h3{break-after:avoid;page-break-after:avoid}
  tr,figure,.kv tr,.card,.draft-banner,pre{break-inside:avoid;page-break-inside:avoid}
  section.drill + section.drill{break-before:page;page-break-before:always}
  table{font-size:10.5px}
  figcaption{font-size:9.5px}
  code,pre{font-size:10px}
}
`;
