import type { Figure, Integrity } from './context';

function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return String(value);
}

function verdict(pass: boolean | null): string {
  if (pass === null) return 'n/a';
  return pass ? '**pass**' : '**FAIL**';
}

/** The markdown table `npm run bench` prints and docs/BENCHMARKS.md shows. */
export function figuresTable(figures: Figure[]): string {
  const lines = [
    '| figure | value | ceiling | ratio | target | result |',
    '|---|---|---|---|---|---|',
    ...figures.map((figure) => {
      const ceiling = figure.ceiling
        ? `${figure.ceiling.name} = ${formatNumber(figure.ceiling.value)} ${figure.ceiling.unit}`
        : '–';
      return `| ${figure.figure} | ${formatNumber(figure.value)} ${figure.unit} | ${ceiling} | ${
        figure.ratio === undefined ? '–' : `${figure.ratio} ×`
      } | ${figure.target} | ${verdict(figure.pass)} |`;
    }),
  ];
  return lines.join('\n');
}

export function integrityTable(entries: Integrity[]): string {
  const lines = [
    '| scenario | sent | acked | delivered / expected | lost | duplicated | stored | acked not stored | stored twice | result |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...entries.map(
      (entry) =>
        `| ${entry.scenario} | ${formatNumber(entry.sent)} | ${formatNumber(entry.acked)} | ${formatNumber(entry.delivered)} / ${formatNumber(
          entry.expectedDeliveries,
        )} | ${entry.lostDeliveries} | ${entry.duplicateDeliveries} | ${formatNumber(entry.stored)} | ${
          entry.ackedNotStored ?? '–'
        } | ${entry.duplicateStored ?? '–'} | ${entry.ok ? 'ok' : `**FAILED**${entry.note ? ` (${entry.note})` : ''}`} |`,
    ),
  ];
  return lines.join('\n');
}

export function notesList(figures: Figure[]): string {
  return figures
    .filter((figure) => figure.note)
    .map((figure) => `- ${figure.figure}: ${figure.note}`)
    .join('\n');
}
