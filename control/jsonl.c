/* jsonl: being written */
