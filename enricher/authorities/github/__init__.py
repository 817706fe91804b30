"""authorities.github"""
