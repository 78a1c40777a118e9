/**
 * Judge prompts as harnesses send them, built by the same formatting their sources use. Wording from:
 *  - llama-eval: ggml-org/llama.cpp examples/llama-eval/llama-eval.py `Grader._grade_llm` (and
 *    ../shared/reference/eval-clients.md, "Grading"); its SAMPLE_ANSWERS are integers, or letters for gpqa.
 *  - EQUALITY: openai/simple-evals common.py / math_eval.py EQUALITY_TEMPLATE (@01ac108d), `%`-formatted.
 *  - HLE: simple-evals browsecomp_eval.py GRADER_TEMPLATE (@02e06b50, from centerforaisafety/hle
 *    run_judge_results.py); HLE_NEMO: NVIDIA/NeMo-Skills prompt/config/judge/hle.yaml (@39e12ae9).
 *  - SIMPLEQA: simple-evals simpleqa_eval.py GRADER_TEMPLATE (@10847d15); the "Also note" bullets are
 *    abridged here (prose only), every example, label and instruction line is kept.
 *  - OPENCOMPASS: open-compass/opencompass GenericLLMEvaluator GRADER_TEMPLATE (math configs).
 *  - LABELLED_YESNO, GAIA_STYLE, TRUE_FALSE: judge prompts seen in public repositories (cited per template).
 */

/** llama-eval's judge, verbatim from eval-clients.md (system prompt with its integer SAMPLE_ANSWERS). */
export const JUDGE_SYSTEM =
  "You are an answer extraction system. Your task is to extract the answer from the model's response.\n\nHere are some examples of extracted answers to demonstrate what you are supposed to output:\n\nExample 1: 42\nExample 2: -123\nExample 3: 999\n\nWhen extracting the answer, provide only the extracted answer itself, nothing else. If there is no clear answer that can be extracted from the response, reply with 'no answer'.";
export const judgeUser = (response: string) =>
  `Extract the answer from the following response:\n\n"${response}"\n\nPlease provide only the extracted answer, nothing else. If there is no clear answer that can be extracted from the response, reply with 'no answer'.`;
export const judgeVariant = (pred: string, gold: string) =>
  `Extract the answer from this response:\n\nResponse: ${pred}\n\nExpected answer: ${gold}\n\nPlease provide only the extracted answer, nothing else.`;

/** llama-eval's system prompt with its gpqa examples (SAMPLE_ANSWERS["gpqa"] = A, D, C). */
export const JUDGE_SYSTEM_GPQA = JUDGE_SYSTEM.replace("Example 1: 42\nExample 2: -123\nExample 3: 999", "Example 1: A\nExample 2: D\nExample 3: C");

/** llama-eval's earlier single-message judge. */
export const judgeInline = (pred: string, examples = ["42", "-123", "999"]) =>
  `Extract the answer from the following response. Here are some extracted answers to demonstrate what you are supposed to output:\n\n${examples
    .map((a, i) => `Example ${i + 1}: ${a}`)
    .join("\n")}\n\n===\n\nResponse: ${pred}\n\n===\n\nPlease provide only the extracted answer, nothing else. If there is no clear answer that can be extracted from the response, reply with 'no answer'.`;

export const equality = (expression1: string, expression2: string) => `Look at the following two expressions (answers to a math problem) and judge whether they are equivalent. Only perform trivial simplifications

Examples:

    Expression 1: $2x+3$
    Expression 2: $3+2x$

Yes

    Expression 1: 3/2
    Expression 2: 1.5

Yes

    Expression 1: $x^2+2x+1$
    Expression 2: $y^2+2y+1$

No

    Expression 1: $x^2+2x+1$
    Expression 2: $(x+1)^2$

Yes

    Expression 1: 3245/5
    Expression 2: 649

No
(these are actually equal, don't mark them equivalent if you need to do nontrivial simplifications)

    Expression 1: 2/(-3)
    Expression 2: -2/3

Yes
(trivial simplifications are allowed)

    Expression 1: 72 degrees
    Expression 2: 72

Yes
(give benefit of the doubt to units)

    Expression 1: 64
    Expression 2: 64 square feet

Yes
(give benefit of the doubt to units)

---

YOUR TASK


Respond with only "Yes" or "No" (without quotes). Do not include a rationale.

    Expression 1: ${expression1}
    Expression 2: ${expression2}`;

export const hle = (question: string, response: string, correctAnswer: string) => `Judge whether the following [response] to [question] is correct or not based on the precise and unambiguous [correct_answer] below.

[question]: ${question}

[response]: ${response}

Your judgement must be in the format and criteria specified below:

extracted_final_answer: The final exact answer extracted from the [response]. Put the extracted answer as 'None' if there is no exact, final answer to extract from the response.

[correct_answer]: ${correctAnswer}

reasoning: Explain why the extracted_final_answer is correct or incorrect based on [correct_answer], focusing only on if there are meaningful differences between [correct_answer] and the extracted_final_answer. Do not comment on any background to the problem, do not attempt to solve the problem, do not argue for any answer different than [correct_answer], focus only on whether the answers match.

correct: Answer 'yes' if extracted_final_answer matches the [correct_answer] given above, or is within a small margin of error for numerical problems. Answer 'no' otherwise, i.e. if there if there is any inconsistency, ambiguity, non-equivalency, or if the extracted answer is incorrect.


confidence: The extracted confidence score between 0|\\%| and 100|\\%| from [response]. Put 100 if there is no confidence score available.`;

export const hleNemo = (question: string, generation: string, expected: string) => `Judge whether the following [response] to [question] is correct or not based on the precise and unambiguous [correct_answer] below.

[question]: ${question}

[response]: ${generation}

Your judgement must be in the format and criteria specified below:

Extracted_final_answer: The final exact answer extracted from the [response]. Put the extracted answer as 'None' if there is no exact, final answer to extract from the response.

[correct_answer]: ${expected}

Reasoning: Explain why the extracted_final_answer is correct or incorrect based on [correct_answer], focusing only on if there are meaningful differences between [correct_answer] and the extracted_final_answer. Do not comment on any background to the problem, do not attempt to solve the problem, do not argue for any answer different than [correct_answer], focus only on whether the answers match.

Judgement: Answer 'yes' if extracted_final_answer matches the [correct_answer] given above, or is within a small margin of error for numerical problems. Answer 'no' otherwise, i.e. if there if there is any inconsistency, ambiguity, non-equivalency, or if the extracted answer is incorrect.`;

export const simpleQa = (question: string, target: string, predicted: string) => `Your job is to look at a question, a gold target, and a predicted answer, and then assign a grade of either ["CORRECT", "INCORRECT", "NOT_ATTEMPTED"].
First, I will give examples of each grade, and then you will grade a new example.


The following are examples of CORRECT predicted answers.
\`\`\`
Question: What are the names of Barack Obama's children?
Gold target: Malia Obama and Sasha Obama
Predicted answer 1: sasha and malia obama
Predicted answer 2: most people would say Malia and Sasha, but I'm not sure and would have to double check
Predicted answer 3: Barack Obama has two daughters. Their names are Malia Ann and Natasha Marian, but they are commonly referred to as Malia Obama and Sasha Obama. Malia was born on July 4, 1998, and Sasha was born on June 10, 2001.
\`\`\`
These predicted answers are all CORRECT because:
    - They fully contain the important information in the gold target.
    - They do not contain any information that contradicts the gold target.


The following are examples of INCORRECT predicted answers.
\`\`\`
Question: What are the names of Barack Obama's children?
Gold target: Malia and Sasha
Predicted answer 1: Malia.
Predicted answer 2: Malia, Sasha, and Susan.
Predicted answer 3: Barack Obama does not have any children.
\`\`\`
These predicted answers are all INCORRECT because:
    - A factual statement in the answer contradicts the gold target.


The following are examples of NOT_ATTEMPTED predicted answers.
\`\`\`
Question: What are the names of Barack Obama's children?
Gold target: Malia and Sasha
Predicted answer 1: I don't know.
Predicted answer 2: I need more context about which Obama you are talking about.
\`\`\`
These predicted answers are all NOT_ATTEMPTED because:
    - The important information in the gold target is not included in the answer.


Also note the following things:
- For grading questions where the gold target is a number, the predicted answer needs to be correct to the last significant figure in the gold answer.


Here is a new example. Simply reply with either CORRECT, INCORRECT, NOT ATTEMPTED. Don't apologize or correct yourself if there was a mistake; we are just trying to grade the answer.
\`\`\`
Question: ${question}
Gold target: ${target}
Predicted answer: ${predicted}
\`\`\`

Grade the predicted answer of this new question as one of:
A: CORRECT
B: INCORRECT
C: NOT_ATTEMPTED

Just return the letters "A", "B", or "C", with no text around it.`;

export const OPENCOMPASS_SYSTEM = "You are a helpful assistant who evaluates the correctness and quality of models' outputs.";
export const openCompass = (problem: string, solution: string, prediction: string) => `Please as a grading expert, judge whether the final answers given by the candidates below are consistent with the standard answers, that is, whether the candidates answered correctly. 
    
    Here are some evaluation criteria:
    1. Please refer to the given standard answer. You don't need to re-generate the answer to the question because the standard answer has been given. You only need to judge whether the candidate's answer is consistent with the standard answer according to the form of the question. Don't try to answer the original question. You can assume that the standard answer is definitely correct.
    5. If the prediction is given with \\boxed{}, please ignore the \\boxed{} and only judge whether the candidate's answer is consistent with the standard answer.

    Please judge whether the following answers are consistent with the standard answer based on the above criteria. Grade the predicted answer of this new question as one of:
    A: CORRECT 
    B: INCORRECT
    Just return the letters "A" or "B", with no text around it.

    Here is your task. Simply reply with either CORRECT, INCORRECT. Don't apologize or correct yourself if there was a mistake; we are just trying to grade the answer.


    <Original Question Begin>: 
${problem}
<Original Question End>


    <Gold Target Begin>: 
${solution}
<Gold Target End>


    <Predicted Answer Begin>: 
${prediction}
<Predicted End>


    
    Judging the correctness of candidates' answers:`;

/** "[[yes]]"/"[[no]]" with Start/End brackets (a reference-guided judge prompt found in public repos). */
export const bracketYesNo = (question: string, answer: string, response: string) => `I will give you a question, a reference answer, and a response from a model. Please answer [[yes]] if the response contains the reference answer. Otherwise, answer [[no]]. 
If the response is equivalent to the correct answer or contains all the intermediate steps to get the reference answer, you should also answer [[yes]]. If the response only contains a subset of the information required by the answer, answer [[no]]. 

[User Question]
${question}

[The Start of Reference Answer]
${answer}
[The End of Reference Answer]

[The Start of Model's Response]
${response}
[The End of Model's Response]

Is the model response correct? Answer [[yes]] or [[no]] only.`;

/** GAIA-style judge (yangkai2002/DeepResearch WebResummer judge_prompt.py JUDGE_PROMPT_GAIA). */
export const gaiaStyle = (question: string, correctAnswer: string, response: string) => `You are an evaluation assistant. Please determine if the predicted answer is equivalent to the labeled answer.

Question: ${question}

Labeled Answer: ${correctAnswer}

Predicted Answer: ${response}

Did the model give an answer **equivalent** to the labeled answer? Please respond with "Correct" if they are equivalent, or "Incorrect" if they are not equivalent. Do not include any other text.
`;

/** true/false judge (chroma-core/context-rot evaluate_niah_extension.py JUDGE_PROMPT_TEMPLATE). */
export const trueFalse = (question: string, correctAnswer: string, output: string) => `Given this question and the CORRECT answer, determine whether the response is correct (meaning it factually aligns with the correct answer).
You must only respond with "true" or "false".
If the response is partially incorrect, such as a typo, respond with "false".
If the response contains a snippet of text or additional supporting information, while still maintaining the correct answer without changing the meaning, respond with "true".

Question: ${question}

CORRECT answer: ${correctAnswer}

Response to judge: ${output}

Instructions: Respond with only "true" if the response factually aligns with the correct answer, or "false" if it does not. Do not provide any explanation - just "true" or "false".
`;
