"""English as the agent reads it, shared by understanding, speech and resolving: text
normalised (normalize), the sentence-template language (template_lang), and the word lists
more than one stage needs (words)."""
