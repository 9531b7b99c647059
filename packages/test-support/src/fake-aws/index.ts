/**
 * A loopback fake of the SageMaker and S3 HTTP APIs for tests of the SageMaker backend.
 * @example const aws = await FakeAwsServer.start(); aws.sagemaker.throttle('CreateTrainingJob', 5);
 */
export { FakeAwsServer } from './fake-aws-server.js';
export { FakeSageMaker, type FakeJob, type FakeJobType, type FakeCall, type FakeSageMakerOptions } from './fake-sagemaker.js';
export { FakePipelines, type FakePipelineExecution } from './fake-pipelines.js';
export { FakeS3, type FakeS3Object } from './fake-s3.js';
export { FakeAwsError, type Json, type JsonBody } from './wire.js';
