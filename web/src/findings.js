// Findings on the diagram: a marker and a count badge on every element with findings (errors
// red, warnings amber) and the list of all of them, those about the whole document first.
// A finding: {severity: 'error'|'warning', element: '<element id>'|'document', name, line,
// message, source: 'server'|'bpmnlint'}.

const OVERLAY = 'motcua-finding';
const MARKERS = { error: 'motcua-error', warning: 'motcua-warning' };
const SOURCE_TEXT = { server: 'máy chủ', bpmnlint: 'bpmnlint' };

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function countText(errors, warnings) {
  if (!errors && !warnings) return 'Không có lỗi hay cảnh báo';
  return `${errors} lỗi · ${warnings} cảnh báo`;
}

export class FindingsView {
  /**
   * @param {any} modeler the bpmn-js Modeler
   * @param {{list: HTMLElement, summary: HTMLElement, counts: HTMLElement}} parts
   */
  constructor(modeler, { list, summary, counts }) {
    this.modeler = modeler;
    this.list = list;
    this.summary = summary;
    this.counts = counts;
    this.findings = [];
    this.marked = [];
  }

  /** Returns the findings about one element. */
  of(elementId) {
    return this.findings.filter((finding) => finding.element === elementId);
  }

  /** Shows a new set of findings, replacing the ones shown. */
  show(findings, { title } = {}) {
    const registry = this.modeler.get('elementRegistry');
    // A finding about an element the diagram does not have is about the document.
    this.findings = findings.map((finding) =>
      finding.element !== 'document' && !registry.get(finding.element)
        ? { ...finding, scope: finding.element, element: 'document' }
        : finding,
    );
    this.paintDiagram();
    this.paintList(title);
  }

  clear() {
    this.show([]);
    this.summary.textContent = 'Chưa kiểm tra.';
    this.counts.textContent = '';
    document.body.dataset.errors = '';
    document.body.dataset.warnings = '';
  }

  paintDiagram() {
    const registry = this.modeler.get('elementRegistry');
    const canvas = this.modeler.get('canvas');
    const overlays = this.modeler.get('overlays');
    overlays.remove({ type: OVERLAY });
    for (const id of this.marked) {
      if (!registry.get(id)) continue; // gone with the diagram it was on
      canvas.removeMarker(id, MARKERS.error);
      canvas.removeMarker(id, MARKERS.warning);
    }
    this.marked = [];
    const byElement = new Map();
    for (const finding of this.findings) {
      if (finding.element === 'document') continue;
      if (!byElement.has(finding.element)) byElement.set(finding.element, []);
      byElement.get(finding.element).push(finding);
    }
    for (const [id, found] of byElement) {
      const errors = found.filter((f) => f.severity === 'error').length;
      const severity = errors ? 'error' : 'warning';
      canvas.addMarker(id, MARKERS[severity]);
      this.marked.push(id);
      const badge = el('button', `finding-badge ${severity}`, found.length);
      badge.type = 'button';
      badge.title = found.map((f) => f.message).join('\n');
      badge.setAttribute(
        'aria-label',
        `${found.length} ${severity === 'error' ? 'lỗi' : 'cảnh báo'} tại ${id}`,
      );
      badge.dataset.element = id;
      badge.addEventListener('click', (event) => {
        event.stopPropagation();
        this.select(id);
      });
      overlays.add(id, OVERLAY, { position: { top: -12, right: 12 }, html: badge });
    }
  }

  paintList(title) {
    const errors = this.findings.filter((f) => f.severity === 'error').length;
    const warnings = this.findings.length - errors;
    this.counts.textContent = countText(errors, warnings);
    this.counts.className = `counts ${errors ? 'has-errors' : warnings ? 'has-warnings' : 'clean'}`;
    document.body.dataset.errors = String(errors);
    document.body.dataset.warnings = String(warnings);
    this.summary.textContent = title || countText(errors, warnings);

    const ordered = [
      ...this.findings.filter((f) => f.element === 'document'),
      ...this.findings.filter((f) => f.element !== 'document'),
    ];
    this.list.replaceChildren(
      ...ordered.map((finding) => {
        const item = el('li', `finding ${finding.severity}`);
        item.dataset.element = finding.element;
        const button = el('button', 'finding-button');
        button.type = 'button';
        const head = el('span', 'finding-head');
        head.append(
          el('span', `chip ${finding.severity}`, finding.severity === 'error' ? 'Lỗi' : 'Cảnh báo'),
          el('span', 'finding-where', this.where(finding)),
        );
        const meta = [SOURCE_TEXT[finding.source] || finding.source];
        if (finding.line) meta.push(`dòng ${finding.line}`);
        button.append(
          head,
          el('span', 'finding-message', finding.message),
          el('span', 'finding-meta', meta.join(' · ')),
        );
        if (finding.element === 'document') {
          button.disabled = true;
        } else {
          button.addEventListener('click', () => this.select(finding.element));
        }
        item.append(button);
        return item;
      }),
    );
  }

  where(finding) {
    if (finding.element === 'document') {
      return finding.scope ? `Toàn sơ đồ (${finding.scope})` : 'Toàn sơ đồ';
    }
    const element = this.modeler.get('elementRegistry').get(finding.element);
    const name = finding.name || element?.businessObject?.name;
    return name ? `${name} (${finding.element})` : finding.element;
  }

  /** Selects an element and brings it into view. */
  select(id) {
    const element = this.modeler.get('elementRegistry').get(id);
    if (!element) return;
    this.modeler.get('selection').select(element);
    try {
      this.modeler.get('canvas').scrollToElement(element);
    } catch {
      // an element of another plane (a collapsed sub-process) has nothing to scroll to
    }
  }
}
