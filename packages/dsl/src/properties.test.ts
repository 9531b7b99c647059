import { describe, expect, it } from 'vitest';
import { createProperties, Property } from './properties.js';
import type { Renderable } from './serialize.js';
import { RENDER_STEP } from './serialize.js';
import { PipelineVariable } from './variables.js';

const step: Renderable = { name: 'Train', type: 'Training', [RENDER_STEP]: () => ({}) };
const root = createProperties(step) as any;

describe('property proxies', () => {
  it('build dotted paths from field access', () => {
    expect(root.ModelArtifacts.S3ModelArtifacts.toJSON()).toEqual({ Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' });
  });

  it("select list items and map keys by calling the collection: ['name'] and [index]", () => {
    expect(root.ProcessingOutputConfig.Outputs('train').S3Output.S3Uri.toJSON()).toEqual({
      Get: "Steps.Train.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri",
    });
    expect(root.FinalMetricDataList('val:acc').Value.toJSON()).toEqual({ Get: "Steps.Train.FinalMetricDataList['val:acc'].Value" });
    expect(root.TrainingJobSummaries(0).TrainingJobName.toJSON()).toEqual({ Get: 'Steps.Train.TrainingJobSummaries[0].TrainingJobName' });
  });

  it('are pipeline variables, and not thenables', () => {
    expect(root.HyperParameters).toBeInstanceOf(Property);
    expect(root.HyperParameters('eta')).toBeInstanceOf(PipelineVariable);
    expect(root.HyperParameters.then).toBeUndefined();
    expect(root.HyperParameters('eta').asString().toJSON()).toEqual({
      'Std:Join': { On: '', Values: [{ Get: "Steps.Train.HyperParameters['eta']" }] },
    });
  });
});
