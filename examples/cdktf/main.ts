/**
 * CDKTF app entry: synthesizes the example estate into `cdktf.out/stacks/estate/cdk.tf.json`
 * (or `$CDKTF_OUTDIR`, which the cdktf CLI sets). Run `npm run build && node dist/examples/cdktf/main.js`,
 * or `cdktf synth` in this directory. Deploying: see README.md ("CDKTF").
 */
import { App } from "cdktf";
import { EstateStack } from "./estate-stack";

const app = new App();
new EstateStack(app, "estate");
app.synth();
