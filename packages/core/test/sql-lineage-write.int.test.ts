import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSchema, dropSchema, startPostgres } from '@cairn/test-support';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { PostgresStore, SqliteStore, type CairnStore, type LineageAssociation, type LineageEntity } from '../src/index.js';

let databaseUrl = '';
let stopPostgres: () => Promise<void> = async () => {};
beforeAll(async () => {
  ({ url: databaseUrl, stop: stopPostgres } = await startPostgres());
});
afterAll(async () => stopPostgres());

async function openStore(dialect: 'sqlite' | 'postgres'): Promise<CairnStore> {
  let store: CairnStore;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-lineage-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    store = await SqliteStore.open({ path: join(dir, 'cairn.db') });
  } else {
    const schema = await createSchema(databaseUrl);
    onTestFinished(() => dropSchema(databaseUrl, schema));
    store = await PostgresStore.open({ connectionString: databaseUrl, schema });
  }
  onTestFinished(() => store.close());
  return store;
}

const artifact = (arn: string, sourceUri: string): LineageEntity => ({ arn, kind: 'Artifact', name: arn, type: 'DataSet', sourceUri, createdAt: 1 });
const link = (sourceArn: string, destinationArn: string): LineageAssociation => ({ sourceArn, destinationArn, type: 'Produced', createdAt: 2 });
const action: LineageEntity = { arn: 'arn:action/train', kind: 'Action', name: 'train', type: 'ModelTraining', createdAt: 1 };

// PostgreSQL writes the associations of a write whose entities are all new in the entities' statement.
describe.each(['sqlite', 'postgres'] as const)('writeLineage (%s)', (dialect) => {
  it('re-points associations to the first entity of a URI when every entity is new', async () => {
    const store = await openStore(dialect);
    const model = artifact('arn:artifact/3', 's3://b/model.tar.gz');
    const result = await store.writeLineage({
      entities: [action, model, { ...model, arn: 'arn:artifact/4' }],
      associations: [link('arn:action/train', 'arn:artifact/3'), link('arn:action/train', 'arn:artifact/4')],
    });
    expect(result.map((e) => e.arn)).toEqual(['arn:action/train', 'arn:artifact/3', 'arn:artifact/3']);
    expect(await store.listAssociations({ sourceArn: 'arn:action/train' })).toEqual([link('arn:action/train', 'arn:artifact/3')]);
  });

  it('writes the associations once, re-pointed, when an entity is stored already', async () => {
    const store = await openStore(dialect);
    await store.putLineageEntity(artifact('arn:artifact/1', 's3://b/data.csv'));
    const result = await store.writeLineage({
      entities: [action, artifact('arn:artifact/2', 's3://b/data.csv')],
      associations: [link('arn:artifact/2', 'arn:action/train')],
    });
    expect(result.map((e) => e.arn)).toEqual(['arn:action/train', 'arn:artifact/1']);
    expect(await store.getLineageEntity('arn:action/train')).toEqual(action);
    expect(await store.listAssociations({})).toEqual([link('arn:artifact/1', 'arn:action/train')]);
  });

  it('writes the associations of entities that are all new, and of a write without entities', async () => {
    const store = await openStore(dialect);
    const context: LineageEntity = { arn: 'arn:context/run', kind: 'Context', name: 'run', type: 'PipelineExecution', createdAt: 1 };
    await store.writeLineage({ entities: [action, context], associations: [{ ...link('arn:action/train', 'arn:context/run'), type: 'AssociatedWith' }] });
    await store.writeLineage({ entities: [], associations: [link('arn:context/run', 'arn:action/train')] });
    expect(await store.listAssociations({})).toEqual([{ ...link('arn:action/train', 'arn:context/run'), type: 'AssociatedWith' }, link('arn:context/run', 'arn:action/train')]);
  });
});
