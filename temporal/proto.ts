// @temporalio/proto is CommonJS: under ESM its namespaces come through the default export.
import protoPackage from '@temporalio/proto';

export const enums = protoPackage.temporal.api.enums.v1;
export const HistoryProto = protoPackage.temporal.api.history.v1.History;
