import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { MachineInfo, PostgresInfo } from './environment';
import type { FigureResult } from './figure';
import type { BenchOptions } from './options';

/** What bench/results/latest.json holds. */
export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  options: Omit<BenchOptions, 'databaseUrl'> & { databaseUrl: string | undefined };
  machine: MachineInfo & { loadAverageAtEnd: number[] };
  postgres: PostgresInfo;
  pgbench: string | null;
  gateway: { command: string; nodeEnv: string };
  figures: FigureResult[];
}

export async function writeReport(file: string, report: BenchReport): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
}

/** The table printed at the end of a run: one line per figure, then notes. */
export function formatTable(figures: readonly FigureResult[]): string {
  const header = ['figure', 'median', 'min', 'max', 'target', 'met', 'runs'];
  const rows = figures.map((figure) => {
    const target = `${figure.target.comparison} ${figure.target.value}${figure.target.unit === 'ratio' ? '' : ` ${figure.target.unit}`}`;
    if (figure.status !== 'measured') {
      return [figure.name, figure.status, '', '', target, '', ''];
    }
    return [
      figure.name,
      String(figure.value.median),
      String(figure.value.min),
      String(figure.value.max),
      target,
      figure.met ? 'yes' : 'NO',
      figure.value.runs.join(' '),
    ];
  });
  const widths = header.map((_, column) =>
    Math.max(header[column]!.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  const lines = [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)];
  const summaries = figures.flatMap((figure) =>
    figure.summary ? [`  ${figure.name}: ${figure.summary}`] : [],
  );
  if (summaries.length > 0) lines.push('', ...summaries);
  const remarks = figures.flatMap((figure) => [
    ...(figure.status === 'measured' ? [] : [`${figure.name}: ${figure.reason}`]),
    ...figure.notes.map((note) => `${figure.name}: ${note}`),
  ]);
  if (remarks.length > 0) lines.push('', ...remarks.map((remark) => `  - ${remark}`));
  return lines.join('\n');
}
