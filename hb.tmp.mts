import { Client, Connection } from '@temporalio/client';
import { timesOf } from '/work/main/bench/history-breakdown.ts';
const c = new Client({ connection: await Connection.connect({ address: '127.0.0.1:7233' }), namespace: 'quantdesk' });
for (const id of process.argv.slice(2)) {
  const h = await c.workflow.getHandle(id).fetchHistory();
  const t = timesOf(h.events ?? []);
  console.log(id, JSON.stringify({ total: t.totalMs, firstTaskWait: t.firstTaskWaitMs, acts: t.activities.map(a => `${a.name}:${a.scheduleToStartMs}/${a.runMs}`), wft: t.workflowTasks.map(w => `${w.queueMs}/${w.runMs}`) }));
  const ev = h.events ?? [];
  const t0 = Number(ev[0]?.eventTime?.seconds ?? 0) * 1000 + Math.floor((ev[0]?.eventTime?.nanos ?? 0) / 1e6);
  console.log(ev.map(e => `${Object.keys(e).find(k => k.endsWith('Attributes'))?.replace('EventAttributes','')}+${Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6) - t0}`).join(' '));
}
process.exit(0);
