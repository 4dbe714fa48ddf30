/** One variable of the configuration, as the documentation and the deployment files describe it. */
export interface VariableDoc {
  /** Markdown: what it does, what it needs, what happens outside its range. */
  meaning: string;
  /** Markdown: the effective default, only where the schema has none of its own (a derived or computed one). */
  default?: string;
  /** A credential: it belongs in a Secret (deploy/kubernetes/secrets.env.example), never in a ConfigMap. */
  secret?: true;
}
