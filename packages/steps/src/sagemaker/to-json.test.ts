import { describe, expect, it } from 'vitest';
import { responseToJson } from './to-json.js';

describe('responseToJson', () => {
  it('turns Dates into epoch seconds and drops $metadata and undefined members', () => {
    const response = {
      $metadata: { httpStatusCode: 200 },
      TrainingJobName: 'j',
      CreationTime: new Date(1_700_000_000_500),
      FailureReason: undefined,
      FinalMetricDataList: [{ MetricName: 'mse', Value: 0.25, Timestamp: new Date(1_700_000_001_000) }],
    };
    expect(responseToJson(response)).toEqual({
      TrainingJobName: 'j',
      CreationTime: 1_700_000_000.5,
      FinalMetricDataList: [{ MetricName: 'mse', Value: 0.25, Timestamp: 1_700_000_001 }],
    });
  });
});
