import type { JsonObject } from '@cairn/core';

/** A `MetricDefinitions` entry: a name and a regex whose first group is the value. */
export interface MetricDefinition {
  Name: string;
  Regex: string;
}

/** Collects metric values from log lines; `final()` is SageMaker's `FinalMetricDataList` (last value of each). */
export interface MetricCollector {
  onLine(line: string): void;
  final(): JsonObject[];
}

/** Applies every metric regex to every log line, as SageMaker does with the job's logs. */
export function collectMetrics(definitions: readonly MetricDefinition[], now: () => number): MetricCollector {
  const compiled = definitions.map((d) => ({ name: d.Name, regex: new RegExp(d.Regex) }));
  const last = new Map<string, { value: number; timestamp: number }>();
  return {
    onLine(line) {
      for (const { name, regex } of compiled) {
        const match = regex.exec(line);
        const value = match ? Number.parseFloat(match[1] ?? match[0]) : Number.NaN;
        if (Number.isFinite(value)) last.set(name, { value, timestamp: now() });
      }
    },
    final() {
      return compiled.flatMap(({ name }) => {
        const m = last.get(name);
        return m ? [{ MetricName: name, Value: m.value, Timestamp: m.timestamp }] : [];
      });
    },
  };
}
