import { z } from 'zod';
import { StringValue } from './expressions.js';
import { ParameterSchema } from './parameters.js';
import { schemaRef } from './schema-ref.js';
import { stepSchemaFor } from './steps.js';

/** The only definition format version there is. */
export const DEFINITION_VERSION = '2020-12-01';

const nullableString = z.union([StringValue, z.null()]);

/** The top-level pipeline definition object (reference §2). Unknown top-level keys are an error. */
export const PipelineDefinitionSchema = z.strictObject({
  Version: z.literal(DEFINITION_VERSION),
  Metadata: z.record(z.string(), z.string()).optional(),
  Parameters: z.array(ParameterSchema).optional(),
  PipelineExperimentConfig: z
    .union([z.strictObject({ ExperimentName: StringValue.optional(), TrialName: StringValue.optional() }), z.null()])
    .optional(),
  MlflowConfig: z
    .union([
      z.strictObject({ MlflowResourceArn: nullableString.optional(), MlflowExperimentName: nullableString.optional() }),
      z.null(),
    ])
    .optional(),
  Steps: z.array(schemaRef(stepSchemaFor)),
});
export type PipelineDefinition = z.infer<typeof PipelineDefinitionSchema>;
