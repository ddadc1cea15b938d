import type { CpuProfile, CpuProfileNode } from './inspector';

export interface ProfileEntry {
  name: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  /** Sampled CPU time (idle excluded). */
  busyMs: number;
  wallMs: number;
  /** Where the process spent its own time, by package (node_modules/<pkg>), app file, Node internals or GC. */
  selfByArea: ProfileEntry[];
  selfByFunction: ProfileEntry[];
  /** Time inside each of the app's own functions, callees included: what each part of Parley costs. */
  totalByAppFunction: ProfileEntry[];
}

function area(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : `(native) ${functionName}`;
  // The app's own code first: the bench runs it from a copy of dist/ kept under node_modules/.cache.
  const src = url.indexOf('/dist/src/');
  if (src >= 0) return `src/${url.slice(src + '/dist/src/'.length)}`;
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  return url.replace(/^file:\/\//, '');
}

function fnKey(node: CpuProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = area(url, functionName);
  return `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
}

const isApp = (node: CpuProfileNode): boolean => node.callFrame.url.includes('/dist/src/');

function top(map: Map<string, number>, busy: number, count: number): ProfileEntry[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => ({ name, ms: Math.round(ms), percent: Math.round((ms / busy) * 1000) / 10 }));
}

export function summarizeProfile(profile: CpuProfile, count = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map<number, number>();
  if (profile.samples && profile.timeDeltas) {
    profile.samples.forEach((id, index) => {
      const delta = profile.timeDeltas![index + 1] ?? 0;
      selfMs.set(id, (selfMs.get(id) ?? 0) + delta / 1000);
    });
  } else {
    const interval = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.nodes.length);
    for (const node of profile.nodes) selfMs.set(node.id, (node.hitCount ?? 0) * interval);
  }
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const appTotal = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const ms = selfMs.get(node.id) ?? 0;
    if (node.callFrame.functionName === '(idle)' || ms === 0) continue;
    busy += ms;
    const where = area(node.callFrame.url, node.callFrame.functionName);
    byArea.set(where, (byArea.get(where) ?? 0) + ms);
    const key = fnKey(node);
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
  }
  // Inclusive time of app functions: walk the tree once, crediting each distinct app frame on the stack.
  const root = profile.nodes[0];
  const walk = (node: CpuProfileNode, stack: Set<string>): number => {
    let total = node.callFrame.functionName === '(idle)' ? 0 : (selfMs.get(node.id) ?? 0);
    const key = isApp(node) ? fnKey(node) : undefined;
    const added = key !== undefined && !stack.has(key);
    if (added) stack.add(key);
    for (const childId of node.children ?? []) {
      const child = byId.get(childId);
      if (child) total += walk(child, stack);
    }
    if (added) {
      stack.delete(key);
      appTotal.set(key, (appTotal.get(key) ?? 0) + total);
    }
    return total;
  };
  if (root) walk(root, new Set());
  const busyMs = Math.max(busy, 1);
  return {
    busyMs: Math.round(busy),
    wallMs: Math.round((profile.endTime - profile.startTime) / 1000),
    selfByArea: top(byArea, busyMs, count),
    selfByFunction: top(byFunction, busyMs, count),
    totalByAppFunction: top(appTotal, busyMs, count),
  };
}
