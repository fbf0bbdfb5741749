import { Client, Connection } from '@temporalio/client';

export interface TemporalSettings {
  address: string;
  namespace: string;
}

export async function createTemporalClient(settings: TemporalSettings): Promise<Client> {
  const connection = await Connection.connect({ address: settings.address, connectTimeout: '5 seconds' });
  return new Client({ connection, namespace: settings.namespace });
}
