/** `topology.json`: the desired topics as data for other tools; the banner lives in `"$comment"`. */
import type { Catalog } from '../../model/types.js';
import type { TopicTopology } from '../../topics/topology.js';
import { jsonBannerComment } from '../../write/banner.js';

export function topologyJson(catalog: Catalog, topology: TopicTopology, version: string): string {
  const doc = {
    $comment: jsonBannerComment(version, catalog.sourcePath),
    catalog: topology.catalog,
    title: catalog.title,
    version: catalog.version,
    topics: topology.topics,
    environments: topology.environments,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
