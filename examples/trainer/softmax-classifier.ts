/** Adam's usual constants. */
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

export interface Evaluation {
  loss: number;
  accuracy: number;
}

/**
 * Multinomial logistic regression trained with Adam and L2 weight decay: small enough for plain JS,
 * real enough that the learning rate, batch size and epochs of a promoted trial change the result.
 */
export class SoftmaxClassifier {
  readonly weights: number[][];
  readonly bias: number[];
  readonly #moments: { weights: [number[][], number[][]]; bias: [number[], number[]] };
  #steps = 0;

  constructor(
    readonly classes: number,
    readonly inputs: number,
  ) {
    const zeros = () => Array.from({ length: classes }, () => new Array<number>(inputs).fill(0));
    this.weights = zeros();
    this.bias = new Array<number>(classes).fill(0);
    this.#moments = { weights: [zeros(), zeros()], bias: [this.bias.slice(), this.bias.slice()] };
  }

  /** Class probabilities for one feature vector (numerically stable softmax). */
  probabilities(features: readonly number[]): number[] {
    const logits = this.weights.map((row, k) => row.reduce((sum, w, i) => sum + w * features[i], this.bias[k]));
    const max = Math.max(...logits);
    const exps = logits.map((logit) => Math.exp(logit - max));
    const total = exps.reduce((a, b) => a + b, 0);
    return exps.map((e) => e / total);
  }

  /** One Adam step on a mini-batch; returns its mean cross-entropy before the update. */
  trainBatch(features: readonly number[][], labels: readonly number[], learningRate: number, weightDecay: number): number {
    const gradWeights = Array.from({ length: this.classes }, () => new Array<number>(this.inputs).fill(0));
    const gradBias = new Array<number>(this.classes).fill(0);
    let loss = 0;
    features.forEach((x, n) => {
      const p = this.probabilities(x);
      loss -= Math.log(Math.max(p[labels[n]], 1e-12));
      for (let k = 0; k < this.classes; k++) {
        // d(cross-entropy)/d(logit_k) = p_k - [k is the label]
        const delta = (p[k] - (k === labels[n] ? 1 : 0)) / features.length;
        gradBias[k] += delta;
        for (let i = 0; i < this.inputs; i++) gradWeights[k][i] += delta * x[i];
      }
    });
    for (let k = 0; k < this.classes; k++) {
      for (let i = 0; i < this.inputs; i++) gradWeights[k][i] += weightDecay * this.weights[k][i];
    }
    this.#applyAdam(gradWeights, gradBias, learningRate);
    return loss / features.length;
  }

  evaluate(features: readonly number[][], labels: readonly number[]): Evaluation {
    let loss = 0;
    let correct = 0;
    features.forEach((x, n) => {
      const p = this.probabilities(x);
      loss -= Math.log(Math.max(p[labels[n]], 1e-12));
      if (argmax(p) === labels[n]) correct++;
    });
    return { loss: loss / features.length, accuracy: correct / features.length };
  }

  #applyAdam(gradWeights: number[][], gradBias: number[], learningRate: number): void {
    this.#steps++;
    const correction1 = 1 - BETA1 ** this.#steps;
    const correction2 = 1 - BETA2 ** this.#steps;
    const update = (params: number[], grads: number[], m: number[], v: number[]) => {
      for (let i = 0; i < params.length; i++) {
        m[i] = BETA1 * m[i] + (1 - BETA1) * grads[i];
        v[i] = BETA2 * v[i] + (1 - BETA2) * grads[i] ** 2;
        params[i] -= (learningRate * (m[i] / correction1)) / (Math.sqrt(v[i] / correction2) + EPSILON);
      }
    };
    const [mw, vw] = this.#moments.weights;
    this.weights.forEach((row, k) => update(row, gradWeights[k], mw[k], vw[k]));
    update(this.bias, gradBias, ...this.#moments.bias);
  }
}

/** Index of the largest value (the first one on ties). */
export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
