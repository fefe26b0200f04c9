import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findMetricLines } from '../../../src/core/inline/metric-lines';

function keysByLine(source: string): Record<number, string[]> {
  return Object.fromEntries(findMetricLines(source).map((m) => [m.line, m.keys]));
}

test('finds client calls with their metric keys', () => {
  const source = [
    'import trackside as ts',
    'for step in range(10):',
    '    ts.log_metric("loss", loss, step=step)',
    "    mlflow.log_metric('val/acc', acc)",
    '    ts.log_metrics({"lr": lr, "grad_norm": g}, step=step)',
    '    ts.log(train_acc=acc, step=step)',
    '    writer.add_scalar("train/loss", loss, step)',
    '    wandb.log({"f1": f1})',
  ].join('\n');
  assert.deepEqual(keysByLine(source), {
    2: ['loss'],
    3: ['val/acc'],
    4: ['lr', 'grad_norm'],
    5: ['train_acc'],
    6: ['train/loss'],
    7: ['f1'],
  });
});

test('finds printed metrics the stdout parser will read', () => {
  const source = [
    'print(f"epoch {epoch} loss={loss:.4f} val_acc={acc:.3f}")',
    'print("accuracy: %.3f" % acc)',
    'logger.info(f"step={i} lr={lr}")',
  ].join('\n');
  assert.deepEqual(keysByLine(source), { 0: ['loss', 'val_acc'], 1: ['accuracy'], 2: ['lr'] });
});

test('ignores prose, comments and other code', () => {
  const source = [
    '# ts.log_metric("loss", 1)',
    'print("Loading data from disk")',
    'print(f"Using {n} workers")',
    'x = log_metric_name',
    'config = {"loss": "mse"}',
    'print("see https://example.com/a:1")',
  ].join('\n');
  assert.deepEqual(findMetricLines(source), []);
});

test('a metrics dict written over several lines puts each key on its own line', () => {
  const source = [
    'for step in range(10):',
    '    ts.log_metrics(',
    '        {',
    '            "train_loss": log_loss(y, model.predict_proba(x), labels=model.classes_),',
    '            "val_acc": accuracy_score(y_test, model.predict(x_test)),',
    '        },',
    '        step=step,',
    '    )',
    '    ts.log_metrics({',
    "        'lr': lr,",
    '    })',
    '    print("saved the model")',
  ].join('\n');
  assert.deepEqual(keysByLine(source), { 3: ['train_loss'], 4: ['val_acc'], 9: ['lr'] });
});
