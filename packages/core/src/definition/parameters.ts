import { z } from 'zod';
import { NAME_PATTERN } from './steps.js';

/** Parameter types of the format; an omitted `Type` means `String`. */
export const PARAMETER_TYPES = ['String', 'Integer', 'Float', 'Boolean'] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

export const ParameterSchema = z.strictObject({
  Name: z.string().regex(NAME_PATTERN, 'Parameter names use letters, digits, "-" or "_" (1–64 characters).'),
  Type: z.enum(PARAMETER_TYPES).optional(),
  DefaultValue: z.union([z.string(), z.number(), z.boolean()]).optional(),
  EnumValues: z.array(z.string()).optional(),
  Description: z.string().max(4096).optional(),
});
export type Parameter = z.infer<typeof ParameterSchema>;

/** A parameter value after type conversion. */
export type ParameterValue = string | number | boolean;
