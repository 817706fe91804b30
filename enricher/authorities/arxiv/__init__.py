"""authorities.arxiv"""
